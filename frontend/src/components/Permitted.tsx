/** A button that stays visible but disabled, with the reason, when the role may not use it. */
import { Button, Tooltip } from "antd";
import type { ButtonProps } from "antd";
import { useId } from "react";

import type { Permission } from "../api/types";
import { usePermissions } from "../auth/permissions";

export function PermittedButton({ permission, ...props }: ButtonProps & { permission: Permission }) {
  const { can, reason } = usePermissions();
  const reasonId = useId();
  if (can(permission)) return <Button {...props} />;
  const why = reason(permission);
  return (
    <Tooltip title={why}>
      <span style={{ display: "inline-block" }}>
        <Button {...props} disabled aria-describedby={reasonId} onClick={undefined} />
        <span id={reasonId} hidden>
          {why}
        </span>
      </span>
    </Tooltip>
  );
}
