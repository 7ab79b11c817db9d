"""Services: keyword-only functions that take a session and a typed input, own the commit, and
raise the domain errors of `inspection.errors`. Views call one of them and render the result.

A service's input model lives in its own module, next to it (`plans.PlanCreate`,
`plans.VisitCreate`, `answers.AnswerWrite`, `agency.AgencyUpdate`); views parse it once from
JSON or a form with `Model.parse(data)`. The field rules are in `validation.py`."""
