"""Request and response shapes of the tips and boards API."""

from __future__ import annotations

from marshmallow import fields, validate

from api.input import ApiSchema


class TipCreateSchema(ApiSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "Markdown; raw HTML is shown as text and links are sanitized"},
    )


class TipSchema(ApiSchema):
    id = fields.Integer()
    category = fields.String()
    author_id = fields.Integer()
    title = fields.String()
    body_html = fields.String()
    hidden = fields.Boolean()
    created_at = fields.AwareDateTime()


class VoteCreateSchema(ApiSchema):
    helpful = fields.Boolean(required=True)


class VoteSchema(ApiSchema):
    tip_id = fields.Integer()
    voter_id = fields.Integer()
    helpful = fields.Boolean()
    created_at = fields.AwareDateTime()


class HideSchema(ApiSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class BoardArgsSchema(ApiSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class BoardTipSchema(ApiSchema):
    tip_id = fields.Integer()
    title = fields.String()
    body_html = fields.String()
    author_id = fields.Integer()
    author = fields.String(metadata={"description": "The author's display name"})
    author_tier = fields.String(metadata={"description": "The author's tier in this category"})
    helpful = fields.Integer()
    unhelpful = fields.Integer()
    rank = fields.Float(metadata={"description": "Wilson lower bound of the helpful share, with time decay"})
    posted_at = fields.AwareDateTime()


class BoardSchema(ApiSchema):
    category = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    tips = fields.List(fields.Nested(BoardTipSchema))


class QuestionCreateSchema(TipCreateSchema):
    """A question: the same limits and sanitizing as a tip."""


class AnswerCreateSchema(ApiSchema):
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "Markdown; raw HTML is shown as text and links are sanitized"},
    )


class QuestionSchema(ApiSchema):
    id = fields.Integer()
    category = fields.String()
    author_id = fields.Integer()
    title = fields.String()
    body_html = fields.String()
    accepted_answer_id = fields.Integer(allow_none=True)
    hidden = fields.Boolean()
    created_at = fields.AwareDateTime()


class AnswerSchema(ApiSchema):
    id = fields.Integer()
    question_id = fields.Integer()
    category = fields.String()
    author_id = fields.Integer()
    body_html = fields.String()
    helpful = fields.Integer()
    unhelpful = fields.Integer()
    hidden = fields.Boolean()
    created_at = fields.AwareDateTime()


class AnswerVoteSchema(ApiSchema):
    answer_id = fields.Integer()
    voter_id = fields.Integer()
    helpful = fields.Boolean()
    created_at = fields.AwareDateTime()


class BoardQuestionSchema(ApiSchema):
    id = fields.Integer()
    category = fields.String()
    title = fields.String()
    author_id = fields.Integer()
    author = fields.String(metadata={"description": "The asker's display name"})
    author_tier = fields.String(metadata={"description": "The asker's tier in this category"})
    answers = fields.Integer(metadata={"description": "Visible answers"})
    accepted_answer_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class BoardQuestionsSchema(ApiSchema):
    category = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    questions = fields.List(fields.Nested(BoardQuestionSchema))


class ThreadAnswerSchema(ApiSchema):
    id = fields.Integer()
    body_html = fields.String()
    author_id = fields.Integer()
    author = fields.String()
    author_tier = fields.String()
    helpful = fields.Integer()
    unhelpful = fields.Integer()
    rank = fields.Float(metadata={"description": "Wilson lower bound of the helpful share"})
    accepted = fields.Boolean(metadata={"description": "The answer the asker marked as the one that helped"})
    hidden = fields.Boolean()
    created_at = fields.AwareDateTime()


class QuestionThreadSchema(ApiSchema):
    id = fields.Integer()
    category = fields.String()
    title = fields.String()
    body_html = fields.String()
    author_id = fields.Integer()
    author = fields.String()
    author_tier = fields.String()
    accepted_answer_id = fields.Integer(allow_none=True)
    hidden = fields.Boolean()
    created_at = fields.AwareDateTime()
    answers = fields.List(fields.Nested(ThreadAnswerSchema), metadata={"description": "Accepted first, then by rank"})


class GuideItemRefSchema(ApiSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["tip", "answer"]))
    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))


class GuideCreateSchema(ApiSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    intro = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "A short introduction, in Markdown (sanitized as tips are)"},
    )
    items = fields.List(
        fields.Nested(GuideItemRefSchema),
        required=True,
        validate=validate.Length(min=1, max=30),
        metadata={"description": "In order: tips on this board and accepted answers to its questions"},
    )


class GuideSummarySchema(ApiSchema):
    id = fields.Integer()
    category = fields.String()
    title = fields.String()
    author_id = fields.Integer()
    author = fields.String()
    helpful = fields.Integer(metadata={"description": "Taskers who marked it helpful"})
    items = fields.Integer()
    created_at = fields.AwareDateTime()


class GuideEntrySchema(ApiSchema):
    kind = fields.String()
    id = fields.Integer()
    title = fields.String(metadata={"description": "The tip's title, or the question an answer answers"})
    question_id = fields.Integer()
    body_html = fields.String()
    author_id = fields.Integer()
    author = fields.String(metadata={"description": "Credited: who wrote the tip or the answer"})


class GuideSchema(ApiSchema):
    id = fields.Integer()
    category = fields.String()
    title = fields.String()
    intro_html = fields.String()
    author_id = fields.Integer()
    author = fields.String()
    helpful = fields.Integer()
    created_at = fields.AwareDateTime()
    items = fields.List(fields.Nested(GuideEntrySchema))


class GuideVoteSchema(ApiSchema):
    guide_id = fields.Integer()
    voter_id = fields.Integer()
    created_at = fields.AwareDateTime()


# Examples for the API docs, one per request body (each loads cleanly: tests/unit/test_api_examples.py).
EXAMPLES = {
    TipCreateSchema: {
        "title": "Bring a tarp",
        "body": "Lay a **tarp** under the hedge: the clippings come up in one go.",
    },
    VoteCreateSchema: {"helpful": True},
    QuestionCreateSchema: {"title": "How do you price a hedge by the metre?", "body": "Do you *measure* first?"},
    AnswerCreateSchema: {"body": "Walk it with a **tape**, then estimate 10 minutes a metre."},
    HideSchema: {"reason": "Advertising"},
    GuideCreateSchema: {
        "title": "Hedges, start to finish",
        "intro": "What the board knows about **hedges**, in the order you need it.",
        "items": [{"kind": "tip", "id": 1}, {"kind": "answer", "id": 1}],
    },
}
