/** RFC 9457 problem+json errors as one Error class the pages can show, with per-field errors. */

export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type?: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors: FieldError[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toFieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((e) => ({
    loc: Array.isArray(e.loc) ? e.loc.filter((p): p is string | number => typeof p === "string" || typeof p === "number") : [],
    msg: typeof e.msg === "string" ? e.msg : String(e.msg ?? "invalid"),
    type: typeof e.type === "string" ? e.type : undefined,
  }));
}

export class ApiError extends Error implements Problem {
  readonly type?: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors: FieldError[];

  constructor(problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = "ApiError";
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.errors = problem.errors;
  }

  /** Read a failed response's body: problem+json, FastAPI's default {detail}, or plain text. */
  static fromResponse(response: Response, body: unknown): ApiError {
    const status = response.status;
    const fallbackTitle = response.statusText || `HTTP ${status}`;
    if (isRecord(body)) {
      if (typeof body.title === "string") {
        return new ApiError({
          type: typeof body.type === "string" ? body.type : undefined,
          title: body.title,
          status: typeof body.status === "number" ? body.status : status,
          detail: typeof body.detail === "string" ? body.detail : undefined,
          errors: toFieldErrors(body.errors),
        });
      }
      if (Array.isArray(body.detail)) {
        return new ApiError({ title: "Validation failed", status, errors: toFieldErrors(body.detail) });
      }
      if (typeof body.detail === "string") {
        return new ApiError({ title: fallbackTitle, status, detail: body.detail, errors: [] });
      }
    }
    const text = typeof body === "string" && body.trim() ? body.trim().slice(0, 500) : undefined;
    return new ApiError({ title: fallbackTitle, status, detail: text, errors: [] });
  }

  static unreachable(cause: unknown): ApiError {
    const detail = cause instanceof Error ? cause.message : undefined;
    return new ApiError({ title: "Cannot reach the server", status: 0, detail, errors: [] });
  }
}

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ApiError({ title: "Unexpected error", status: 0, detail, errors: [] });
}

/** A field path inside the request body, for a form: ["body", "variants", 0, "text"] → ["variants", 0, "text"]. */
export function formPath(loc: FieldError["loc"]): (string | number)[] {
  const [first, ...rest] = loc;
  return first === "body" || first === "query" || first === "path" ? rest : loc;
}
