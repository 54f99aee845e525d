"""Reference service: FastAPI on uvicorn with GET /health and GET /json, no tracing."""

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()
BODY = {"message": "hello", "ok": True, "items": [1, 2, 3]}


@app.get("/health", response_class=PlainTextResponse)
async def health() -> str:
    return "ok"


@app.get("/json")
async def json_body() -> dict[str, object]:
    return BODY
