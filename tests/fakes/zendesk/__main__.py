"""``python -m tests.fakes.zendesk --port 8765 --subdomain acme --seed demo``"""

from __future__ import annotations

import argparse

import uvicorn

from tests.fakes.zendesk.config import PLAN_RATE_LIMITS, EmulatorConfig
from tests.fakes.zendesk.emulator import ZendeskEmulator
from tests.fakes.zendesk.seed import DEMO_REDIRECT_URLS, seed_demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.zendesk", description="A local Zendesk emulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--subdomain", default="acme")
    parser.add_argument("--seed", choices=["none", "demo"], default="demo")
    parser.add_argument(
        "--redirect-url",
        action="append",
        dest="redirect_urls",
        help="a redirect URL of the OAuth client (repeatable)",
    )
    parser.add_argument("--client-secret", help="fix the OAuth client secret (default: random)")
    parser.add_argument("--consent", choices=["page", "auto-allow", "auto-deny"], default="page")
    parser.add_argument("--plan", choices=sorted(PLAN_RATE_LIMITS), default="enterprise")
    parser.add_argument(
        "--index-delay",
        type=float,
        default=0.0,
        help="seconds before a new/updated user is searchable",
    )
    parser.add_argument("--validate-phones", action="store_true")
    parser.add_argument("--no-tpe", action="store_true", help="Talk Partner Edition off")
    parser.add_argument(
        "--reject-invalid",
        action="store_true",
        help="answer 400 to requests that do not match the OpenAPI subset",
    )
    args = parser.parse_args(argv)

    config = EmulatorConfig(
        subdomain=args.subdomain,
        consent_mode=args.consent,
        search_index_delay=args.index_delay,
        validate_phone_numbers=args.validate_phones,
        tpe_enabled=not args.no_tpe,
        reject_invalid_requests=args.reject_invalid,
    )
    config.plan(args.plan)
    emulator = ZendeskEmulator(config)
    base = f"http://{args.host}:{args.port}"
    print(f"Zendesk emulator for '{args.subdomain}' on {base}  (control API: {base}/_emulator)")
    if args.seed == "demo":
        account = seed_demo(emulator, args.redirect_urls or DEMO_REDIRECT_URLS, args.client_secret)
        print(f"OAuth client unique identifier: {account.client.identifier}")
        print(f"OAuth client secret:            {account.client.secret}")
        print(f"OAuth redirect URLs:            {', '.join(account.client.redirect_urls)}")
        print(f"API token (Basic {account.admin_email}/token:…): {account.api_token}")
    uvicorn.run(emulator.app, host=args.host, port=args.port, http="h11", log_level="info")


if __name__ == "__main__":
    main()
