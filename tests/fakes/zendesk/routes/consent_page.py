"""The tiny HTML consent page a real browser can use (Allow / Deny)."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse

from tests.fakes.zendesk.oauth_state import OAuthClient, PendingConsent

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Allow access? - Zendesk emulator</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:4rem auto}}
button{{font-size:1rem;padding:.5rem 1.5rem;margin-right:1rem}}</style></head>
<body><h1>{name} wants to access your Zendesk account</h1>
<p>Account: <b>{subdomain}</b> &middot; scopes: <code>{scope}</code></p>
<form method="post" action="/oauth/authorizations">
<input type="hidden" name="consent_id" value="{consent_id}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>
"""


def consent_page(client: OAuthClient, consent: PendingConsent, subdomain: str = "") -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(
            name=html.escape(client.name),
            subdomain=html.escape(subdomain),
            scope=html.escape(consent.scope),
            consent_id=html.escape(consent.id),
        )
    )


def error_page(message: str) -> HTMLResponse:
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>OAuth error</title>"
        f"</head><body><h1>OAuth error</h1><p>{html.escape(message)}</p></body></html>"
    )
    return HTMLResponse(body, 400)
