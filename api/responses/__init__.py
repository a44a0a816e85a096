"""The shapes of the API's success answers, as pydantic models: FastAPI checks each answer against its model and the
OpenAPI document describes it.

The JSON is the one the endpoints have always written: money as decimal strings, times as the ISO strings the
builders in api/schemas.py make, and numbers as they come (a whole number stays whole). Models forbid fields they
do not name, so an answer and its model cannot drift apart unnoticed.
"""
