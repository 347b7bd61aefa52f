"""Prior-authorization metrics: the published years and a year's figures (public), computing and publishing a
past year and reading its per-request basis (plan staff, IAM-signed), and the yearly schedule's run
(EventBridge Scheduler sends {"job": "pa-metrics"}; the devserver may add "as_of": "YYYY-MM-DD")."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from functions.pa_metrics import logic
from functions.pa_metrics.models import PublishedYears, Year, YearMetrics
from functions.shared.core import clock, telemetry
from functions.shared.core.context import Now, Origin, Staff
from functions.shared.core.http import file_bodies, file_response, make_handler, make_resolver
from functions.shared.store.metrics_files import CSV

logger = Logger()
app = make_resolver()


@app.get("/public/prior-authorization-metrics", summary="The years whose prior-authorization metrics are published")
def years() -> PublishedYears:
    return logic.published_years()


@app.get("/public/prior-authorization-metrics/<year>", summary="A year's published prior-authorization metrics")
def year_metrics(year: Annotated[Year, Path()]) -> YearMetrics:
    return logic.published(year)


@app.post("/staff/prior-authorization-metrics/<year>",
          summary="Compute and publish a past year's prior-authorization metrics (replaces an earlier computation)")
def publish(staff: Staff, meta: Origin, now: Now, year: Annotated[Year, Path()]) -> YearMetrics:
    return logic.publish(year, now, meta, staff)


@app.get("/staff/prior-authorization-metrics/<year>/basis",
         summary="The requests behind a published year's metrics, one CSV line each",
         responses={200: {"description": "The basis, as a CSV attachment",
                          "content": {"text/csv": {"schema": {"type": "string"}}}}},
         middlewares=[file_bodies])
def basis(staff: Staff, meta: Origin, now: Now, year: Annotated[Year, Path()]) -> Response[str]:
    return file_response(logic.basis_file(year, now, meta, staff), CSV,
                         {"Content-Disposition": f'attachment; filename="pa-metrics-basis-{year}.csv"'})


_api = make_handler(app)


@logger.inject_lambda_context(clear_state=True)
def _scheduled(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        published = logic.scheduled(str(event.get("job", "")), logic.run_day(event.get("as_of"), clock.now()))
        logger.info("prior-authorization metrics published", extra={"year": published.year})
        return {"job": logic.JOB, "year": published.year, "computed_at": published.computed_at.isoformat()}
    finally:
        telemetry.flush()


@telemetry.traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway requests go to the routes; anything else is the schedule's event."""
    return _api(event, context) if "httpMethod" in event else _scheduled(event, context)
