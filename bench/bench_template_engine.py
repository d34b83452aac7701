"""Template engine benchmark: the cost per helpdesk request of rendering and extracting.

    python bench/bench_template_engine.py [--requests 20000]

A typical contact lookup: render its URL (URL mode), a JSON body (JSON mode) and three
headers (HEADER mode), then extract the outputs of a typical lookup response (five mapped
fields with GJSON paths, one of them with comma-separated alternatives and a variable). The
templates are compiled once (as the runtime does; compile_template is cached) and rendered
many times. Prints microseconds per request; the target for a typical lookup is < 100 µs.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from deskline.templates.expressions import RenderContext, RenderMode, compile_template
from deskline.templates.paths import check_path, extract, extract_first

URL = "https://{{.domain}}/api/v2/users/search.json?query=phone:{{UrlEncode .Phone}}&per_page=5"
BODY = (
    '{"query":{"phone":"{{.Phone}}","name":"{{.CallerDisplayName}}"},'
    '"since":"{{ TimeFormat .StartTimeUnix "yyyy-MM-ddTHH:mm:ss.000Z" "1" }}","limit":5}'
)
HEADERS = {
    "Authorization": "Bearer {{.AccessToken}}",
    "Accept": "application/json",
    "X-Client": "{{.client_id}}",
}
OUTPUTS = {
    "ContactsId": "users.#.id",
    "FirstName": "users.#.name",
    "Email": "users.#.email",
    "BusinessNumber": "users.#.phone",
    "MobileNumber": 'users.#(phone=="{{.Phone}}")#.mobile,users.#(mobile=="{{.Phone}}")#.mobile',
}
CONTEXT = RenderContext(
    values={
        "domain": "acme.zendesk.com",
        "client_id": "deskline",
        "AccessToken": "0123456789abcdef0123456789abcdef",
        "Phone": "+4930123456",
        "CallerDisplayName": 'Anna "Ann" Müller',
        "StartTimeUnix": 1672531199,
    },
    trusted=frozenset({"domain", "client_id", "AccessToken"}),
    tz=ZoneInfo("Europe/Berlin"),
)
RESPONSE = json.loads(
    json.dumps(
        {
            "users": [
                {
                    "id": 360000000000 + n,
                    "name": f"Contact {n}",
                    "email": f"c{n}@example.com",
                    "phone": "+4930123456" if n == 1 else f"+49301234{n:02d}",
                    "mobile": f"+49170{n:06d}",
                    "role": "end-user",
                    "tags": ["vip", "de"],
                    "organization_id": 42,
                }
                for n in range(3)
            ],
            "count": 3,
            "next_page": None,
        }
    )
)


def render_request() -> None:
    compile_template(URL).render(CONTEXT, RenderMode.URL)
    compile_template(BODY).render(CONTEXT, RenderMode.JSON)
    for value in HEADERS.values():
        compile_template(value).render(CONTEXT, RenderMode.HEADER)


def extract_outputs() -> None:
    for path in OUTPUTS.values():
        if "{{" in path:
            rendered = compile_template(path).render(CONTEXT, RenderMode.PATH)
            extract_first(rendered, RESPONSE)
        else:
            extract(path, RESPONSE)


def per_call_us(function: Callable[[], None], repeat: int) -> float:
    function()  # warm the caches, as a running deskline has them
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat // 5):
            function()
        best = min(best, (time.perf_counter() - start) / (repeat // 5))
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    for path in OUTPUTS.values():
        if "{{" not in path:
            check_path(path)
    render_us = per_call_us(render_request, args.requests)
    extract_us = per_call_us(extract_outputs, args.requests)
    total = render_us + extract_us
    print(f"render  (URL + JSON body + 3 headers): {render_us:7.1f} µs per request")
    print(f"extract (5 outputs, 1 with alternatives): {extract_us:5.1f} µs per response")
    print(f"typical lookup total: {total:7.1f} µs (target < 100 µs)")


if __name__ == "__main__":
    main()
