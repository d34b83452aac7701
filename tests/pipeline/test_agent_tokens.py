from deskline.pipeline.agent_tokens import issue_agent_token, verify_agent_token

KEY = b"k" * 32


def test_a_token_names_its_extension() -> None:
    token = issue_agent_token(KEY, "2005")
    assert verify_agent_token(KEY, token) == "2005"


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = issue_agent_token(b"other" * 8, "2005")
    assert verify_agent_token(KEY, token) is None


def test_a_tampered_token_is_refused() -> None:
    token = issue_agent_token(KEY, "2005")
    forged = issue_agent_token(KEY, "2006").split(".")[0] + "." + token.split(".")[1]
    assert verify_agent_token(KEY, forged) is None
    assert verify_agent_token(KEY, "garbage") is None
    assert verify_agent_token(KEY, "") is None
