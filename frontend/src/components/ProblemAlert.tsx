/** Shows an API problem (title, detail and any per-field errors) the way the server stated it. */
import { Alert } from "antd";

import { asApiError, formPath } from "../api/problem";

export function ProblemAlert({ error, onClose }: { error: unknown; onClose?: () => void }) {
  if (!error) return null;
  const problem = asApiError(error);
  const fieldErrors = problem.errors.map((e) => {
    const where = formPath(e.loc).join(".");
    return where ? `${where}: ${e.msg}` : e.msg;
  });
  // A 403 is the server's role rule, not a fault: say so plainly, with the server's own words under it.
  const forbidden = problem.status === 403;
  return (
    <Alert
      type={forbidden ? "warning" : "error"}
      showIcon
      title={forbidden ? `${problem.title}: your role may not do this; ask an admin` : problem.title}
      closable={onClose ? { onClose } : false}
      description={
        problem.detail || fieldErrors.length > 0 ? (
          <>
            {problem.detail && <div>{problem.detail}</div>}
            {fieldErrors.length > 0 && (
              <ul style={{ margin: "4px 0 0", paddingInlineStart: 18 }}>
                {fieldErrors.map((text) => (
                  <li key={text}>{text}</li>
                ))}
              </ul>
            )}
          </>
        ) : undefined
      }
      style={{ marginBottom: 16 }}
    />
  );
}
