"""Start page API: GET /start, what needs the person now across their Provider IDs."""

from functions.shared.core.context import Asked
from functions.shared.core.http import make_handler, make_resolver
from functions.start import logic
from functions.start.models import StartPage

app = make_resolver()


@app.get("/start", summary="What needs you now: agreements, access requests, prior authorizations, admissions")
def start(ask: Asked) -> StartPage:
    return logic.start_page(ask)


lambda_handler = make_handler(app)
