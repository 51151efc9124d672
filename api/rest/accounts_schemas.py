"""Request and response shapes of the accounts API: sign-up, tokens."""

from __future__ import annotations

from marshmallow import fields, validate

from api.input import ApiSchema, one_line


class SignupSchema(ApiSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    role = fields.String(
        required=True,
        validate=validate.OneOf(
            ["client", "tasker"], error="Must be client or tasker (operators are created with the CLI)."
        ),
    )
    display_name = fields.String(validate=[validate.Length(max=80), one_line])


class UserSchema(ApiSchema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    display_name = fields.String()


class TokenRequestSchema(ApiSchema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    name = fields.String(
        validate=[validate.Length(max=80), one_line],
        metadata={"description": "Your app's name for the token, shown in your list of sessions and tokens"},
    )
    code = fields.String(
        load_only=True,
        validate=validate.Length(max=40),
        metadata={
            "description": "For an account with two-factor sign-in: the 6-digit code from its authenticator "
            "app, or one of its recovery codes (each works once)"
        },
    )


class SignupAnswerSchema(ApiSchema):
    email = fields.String()
    role = fields.String()
    message = fields.String()


class TokenSchema(ApiSchema):
    token = fields.String()
    token_type = fields.String()
    id = fields.Integer(metadata={"description": "The token's id, to list or revoke it later"})
    expires_at = fields.AwareDateTime()
    user = fields.Nested(UserSchema)


class TokenInfoSchema(ApiSchema):
    id = fields.Integer()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime(allow_none=True)
    last_used_at = fields.AwareDateTime(allow_none=True, metadata={"description": "To the minute"})
    client = fields.String(metadata={"description": 'Who asked for it, readable: "Python Requests"'})
    name = fields.String(metadata={"description": "The name the app gave it"})


# Examples for the API docs, one per request body (each loads cleanly: tests/unit/test_api_examples.py).
EXAMPLES = {
    SignupSchema: {
        "email": "sam@example.com",
        "password": "correct horse battery staple",
        "role": "tasker",
        "display_name": "Sam",
    },
    TokenRequestSchema: {"email": "sam@example.com", "password": "correct horse battery staple"},
}
