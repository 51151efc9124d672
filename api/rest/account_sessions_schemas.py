"""Request and response shapes of the sessions-and-tokens API and the password change."""

from __future__ import annotations

from marshmallow import fields, validate

from api.input import ApiSchema


class SignedInItemSchema(ApiSchema):
    id = fields.String(metadata={"description": "A session's public id (never its cookie), or a token's id (as text)"})
    kind = fields.String(metadata={"description": "session (a signed-in browser) or token (an API token)"})
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "Kept to the minute: written at most once a minute"}
    )
    client = fields.String(metadata={"description": 'Who signed in, readable: "Firefox on Android"; "" if unknown'})
    current = fields.Boolean(metadata={"description": "The session or token this request came with"})
    name = fields.String(metadata={"description": "A token's name, as the app that asked for it gave it"})
    expires_at = fields.AwareDateTime(allow_none=True)


class SignedInSchema(ApiSchema):
    sessions = fields.List(fields.Nested(SignedInItemSchema), metadata={"description": "Signed-in browsers"})
    tokens = fields.List(fields.Nested(SignedInItemSchema), metadata={"description": "Live API tokens"})


class EndOthersSchema(ApiSchema):
    what = fields.String(
        load_default="all",
        validate=validate.OneOf(["all", "sessions", "tokens"], error="Must be all, sessions or tokens."),
        metadata={"description": "all (the default), sessions (browsers only) or tokens (tokens only)"},
    )


class EndedSchema(ApiSchema):
    sessions_ended = fields.Integer()
    tokens_revoked = fields.Integer()
    message = fields.String()


class PasswordChangeSchema(ApiSchema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))


EXAMPLES = {
    EndOthersSchema: {"what": "all"},
    PasswordChangeSchema: {
        "current_password": "correct horse battery staple",
        "new_password": "a brand new passphrase here",
    },
}
