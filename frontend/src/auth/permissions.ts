/**
 * What the signed-in role may do, from the server's `/auth/me` (never a copy of the role table):
 * a button for an action the role may not take is disabled with the reason instead of being refused.
 */
import { useMe } from "../api/auth";
import type { Permission } from "../api/types";

const ACTION: Record<Permission, string> = {
  read: "view this",
  "campaigns:write": "create or change campaigns and segments",
  "contacts:write": "import, export or change contacts",
  "reviews:decide": "decide reviews",
  "analytics:read": "see results",
  "analytics:write": "record events",
  "agent:use": "use the strategist",
  "compliance:read": "read the audit log",
  "compliance:write": "record consent",
  "senders:manage": "manage senders",
  "safety:manage": "manage the safety rules",
  "users:manage": "manage users",
};

export interface Permissions {
  /** Known once /auth/me has answered; until then every action is treated as not allowed. */
  loaded: boolean;
  can: (permission: Permission) => boolean;
  /** Why the action is not allowed, e.g. "Your role (viewer) may not decide reviews." */
  reason: (permission: Permission) => string | undefined;
}

export function usePermissions(): Permissions {
  const me = useMe();
  const granted = new Set(me.data?.permissions ?? []);
  const role = me.data?.role;
  return {
    loaded: me.data !== undefined,
    can: (permission) => granted.has(permission),
    reason: (permission) =>
      granted.has(permission)
        ? undefined
        : role
          ? `Your role (${role}) may not ${ACTION[permission]}.`
          : "Checking what your role may do…",
  };
}
