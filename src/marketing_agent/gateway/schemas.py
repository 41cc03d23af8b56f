"""Pydantic schemas of the gateway."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from marketing_agent.core.auth import Permission, Role


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


Password = Annotated[str, Field(min_length=10, max_length=256)]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: Role
    is_active: bool = Field(True, description="A disabled user cannot log in; tokens stop.")
    must_change_password: bool = Field(
        False, description="The password is one-time: it must be changed before anything else."
    )
    created_at: datetime | None = None
    last_login_at: datetime | None = None


class MeRead(UserRead):
    """The signed-in user with what their role may do, so the UI hides what would be refused."""

    permissions: list[Permission]


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: Password | None = Field(
        None,
        description="A one-time password for the new user; generated when not given. Either "
        "way the user must change it at the first login.",
    )
    role: Role = Role.VIEWER


class UserCreated(UserRead):
    one_time_password: str = Field(
        description="Shown once: hand it to the user, who must change it at the first login."
    )


class UserUpdate(BaseModel):
    """Only the fields given change; either change ends the user's current sessions."""

    role: Role | None = None
    is_active: StrictBool | None = None


class PasswordResetRead(BaseModel):
    user: UserRead
    one_time_password: str = Field(
        description="Shown once: the user must change it at the next login."
    )


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: Password


class RoleRead(BaseModel):
    role: Role
    permissions: list[Permission] = Field(description="What the role may do, sorted.")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    user: UserRead


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="Shown once; store it now.")


class EffectiveSetting(BaseModel):
    """One configuration option as this server runs with it."""

    name: str
    env_var: str = Field(description="The environment variable (or .env line) that sets it.")
    value: str | None = Field(description="As text; a secret shows only whether it is set.")
    source: Literal["env", "file", "startup", "default"] = Field(
        description="env: the environment; file: the .env file; startup: given by the process "
        "that started the server (a CLI option); default: nobody set it."
    )
    secret: bool
    description: str | None = None
