/** The typed API client (openapi-fetch over the generated schema), with the bearer token and 401 handling. */
import createClient, { type Middleware } from "openapi-fetch";

import { session } from "../auth/session";
import { ApiError } from "./problem";
import type { paths } from "./schema";

const LOGIN_PATH = "/api/v1/auth/login";

const auth: Middleware = {
  onRequest({ request }) {
    const token = session.token();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // A wrong password on the login form is the form's business, not an expired session.
    if (response.status === 401 && !new URL(request.url).pathname.endsWith(LOGIN_PATH)) session.expire();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

interface FetchResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** Await an openapi-fetch call and return its data, or throw an ApiError carrying the problem. */
export async function unwrap<R extends FetchResult>(call: Promise<R>): Promise<NonNullable<R["data"]>> {
  let result: R;
  try {
    result = await call;
  } catch (cause) {
    throw ApiError.unreachable(cause);
  }
  if (!result.response.ok || result.error !== undefined) throw ApiError.fromResponse(result.response, result.error);
  return result.data as NonNullable<R["data"]>;
}
