"""The JSON API (`/api/v1`): one flask-smorest blueprint per area, each module's request and
response shapes beside it in `<area>_schemas.py`, built from the field types in `events.fields`."""
