"""Outputs to records: values stay with the array element they came from."""

from __future__ import annotations

from deskline.connector.masking import Masker
from deskline.connector.records import build_records, extract_output, split_mapping_path

DOCUMENT = {
    "customers": [
        {"id": 1, "phone": "+1555", "name": "Ada"},
        {"id": 2, "mobile": "+1555", "name": "Grace", "email": "g@x"},
        {"id": 3, "phone": "+1999", "name": "Alan"},
    ]
}


def records(*outputs: tuple[str, str]) -> list[dict[str, object]]:
    return build_records([(name, extract_output(path, DOCUMENT)) for name, path in outputs]).records


def test_a_missing_field_does_not_shift_the_others() -> None:
    assert records(("Id", "customers.#.id"), ("Email", "customers.#.email")) == [
        {"Id": 1, "Email": None},
        {"Id": 2, "Email": "g@x"},
        {"Id": 3, "Email": None},
    ]


def test_fields_found_by_different_queries_stay_with_their_element() -> None:
    found = records(
        ("Id", 'customers.#(phone=="+1555")#.id,customers.#(mobile=="+1555")#.id'),
        ("Mobile", 'customers.#(mobile=="+1555")#.mobile'),
    )
    # Ada matched by phone (first alternative); Grace only has a mobile, so no id is read for
    # her element: her mobile does not end up on Ada's record
    assert found == [{"Id": 1, "Mobile": None}, {"Id": None, "Mobile": "+1555"}]


def test_single_values_go_into_every_record_and_no_array_means_one_record() -> None:
    assert records(("Id", "customers.#.id"), ("Count", "customers.#"))[2] == {"Id": 3, "Count": 3}
    assert records(("First", "customers.0.name")) == [{"First": "Ada"}]
    assert records(("Id", "nothing.#.id")) == []


def test_which_paths_map_over_an_array() -> None:
    assert split_mapping_path("a.#.b") is not None
    assert split_mapping_path('a.#(x=="#.")#.c') is not None
    assert split_mapping_path("a.#(x==1).b") is None  # first match only
    assert split_mapping_path('x.#(t=="p")#|1.value') is None  # then the second one
    assert split_mapping_path("a.#") is None  # the count


def test_masker_hides_secret_values_query_parameters_and_body_fields() -> None:
    masker = Masker(["hunter2-secret"])
    assert masker.url("https://d.example/x?api_key=abc&q=hunter2-secret&page=2") == (
        "https://d.example/x?api_key=****&q=****cret&page=2"
    )
    assert masker.url("https://admin:pa55word@d.example/x?page=2") == (
        "https://admin:****@d.example/x?page=2"
    )
    assert masker.url("https://d.example/users/a@b.example?token=t") == (
        "https://d.example/users/a@b.example?token=****"
    )
    assert masker.header("Authorization", "Bearer abcdefghijkl") == "Bearer ****ijkl"
    assert (
        masker.body('{"client_secret":"s","author_id":5}')
        == '{"client_secret": "****", "author_id": 5}'
    )
