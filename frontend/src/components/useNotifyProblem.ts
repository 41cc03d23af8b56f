import { App } from "antd";
import { useCallback } from "react";

import { asApiError } from "../api/problem";

/** A callback that pops the server's problem (title and detail) up as a notification. */
export function useNotifyProblem(): (error: unknown) => void {
  const { notification } = App.useApp();
  return useCallback(
    (error: unknown) => {
      const problem = asApiError(error);
      const forbidden = problem.status === 403;
      notification[forbidden ? "warning" : "error"]({
        title: forbidden ? `${problem.title}: your role may not do this; ask an admin` : problem.title,
        description: problem.detail ?? problem.errors.map((e) => e.msg).join("; "),
      });
    },
    [notification],
  );
}
