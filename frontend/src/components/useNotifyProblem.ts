import { App } from "antd";
import { useCallback } from "react";

import { asApiError } from "../api/problem";

/** A callback that pops the server's problem (title and detail) up as a notification. */
export function useNotifyProblem(): (error: unknown) => void {
  const { notification } = App.useApp();
  return useCallback(
    (error: unknown) => {
      const problem = asApiError(error);
      notification.error({ title: problem.title, description: problem.detail ?? problem.errors.map((e) => e.msg).join("; ") });
    },
    [notification],
  );
}
