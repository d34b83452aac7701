"""GJSON paths: the examples of GJSON's SYNTAX.md and of the template format."""

from __future__ import annotations

import pytest

from deskline.templates.paths import PathSyntaxError, check_path, extract

FRIENDS = {
    "name": {"first": "Tom", "last": "Anderson"},
    "age": 37,
    "children": ["Sara", "Alex", "Jack"],
    "fav.movie": "Deer Hunter",
    "friends": [
        {"first": "Dale", "last": "Murphy", "age": 44, "nets": ["ig", "fb", "tw"]},
        {"first": "Roger", "last": "Craig", "age": 68, "nets": ["fb", "tw"]},
        {"first": "Jane", "last": "Murphy", "age": 47, "nets": ["ig", "tw"]},
    ],
}
DALE, ROGER, JANE = FRIENDS["friends"]  # type: ignore[misc]

SYNTAX_EXAMPLES = [
    # basic
    ("name.last", "Anderson"),
    ("name.first", "Tom"),
    ("age", 37),
    ("children", ["Sara", "Alex", "Jack"]),
    ("children.0", "Sara"),
    ("children.1", "Alex"),
    ("friends.1", ROGER),
    ("friends.1.first", "Roger"),
    # wildcards and escapes
    ("*.first", "Tom"),
    ("c?ildren.0", "Sara"),
    ("child*.2", "Jack"),
    ("fav\\.movie", "Deer Hunter"),
    # arrays
    ("friends.#", 3),
    ("friends.#.age", [44, 68, 47]),
    ("children.#", 3),
    ("friends.#.first", ["Dale", "Roger", "Jane"]),
    # queries
    ('friends.#(last=="Murphy").first', "Dale"),
    ('friends.#(last=="Murphy")#.first', ["Dale", "Jane"]),
    ("friends.#(age>45)#.last", ["Craig", "Murphy"]),
    ('friends.#(first%"D*").last', "Murphy"),
    ('friends.#(first!%"D*").last', "Craig"),
    ('children.#(!%"*a*")', "Alex"),
    ('children.#(%"*a*")#', ["Sara", "Jack"]),
    ('friends.#(nets.#(=="fb"))#.first', ["Dale", "Roger"]),
    # dot vs pipe
    ("friends.0.first", "Dale"),
    ("friends|0.first", "Dale"),
    ("friends.0|first", "Dale"),
    ("friends|0|first", "Dale"),
    ("friends|#", 3),
    ('friends.#(last="Murphy")#', [DALE, JANE]),
    ('friends.#(last="Murphy")#.first', ["Dale", "Jane"]),
    ('friends.#(last="Murphy")#|first', None),
    ('friends.#(last="Murphy")#.0', []),
    ('friends.#(last="Murphy")#|0', DALE),
    ('friends.#(last="Murphy")#.#', []),
    ('friends.#(last="Murphy")#|#', 2),
    # modifiers
    ("children.@reverse", ["Jack", "Alex", "Sara"]),
    ("children.@reverse.0", "Jack"),
    ("@this.age", 37),
    ("friends.#.nets|@flatten", ["ig", "fb", "tw", "fb", "tw", "ig", "tw"]),
    ("name.@keys", ["first", "last"]),
    ("name.@values", ["Tom", "Anderson"]),
    ("friends.#.nets.1", ["fb", "tw", "tw"]),
    ("friends.#.nets|1", ["fb", "tw"]),
]


@pytest.mark.parametrize(("path", "expected"), SYNTAX_EXAMPLES)
def test_gjson_syntax_document_examples(path: str, expected: object) -> None:
    assert extract(path, FRIENDS) == expected


class TestFormatExamples:
    def test_all_ids(self) -> None:
        users = {"users": [{"id": 1, "Email": "a@x"}, {"id": 2, "Email": "b@x"}]}
        assert extract("users.#.id", users) == [1, 2]
        assert extract("users.#.Email", users) == ["a@x", "b@x"]

    def test_first_match(self) -> None:
        document = {"data": [{"key": "other", "field": 1}, {"key": "value", "field": "found"}]}
        assert extract('data.#(key=="value").field', document) == "found"

    def test_all_matches_then_the_second(self) -> None:
        document = {
            "identities": [
                {"type": "email", "value": "a@x"},
                {"type": "phone_number", "value": "+111"},
                {"type": "phone_number", "value": "+222"},
            ]
        }
        assert extract('identities.#(type=="phone_number")#|1.value', document) == "+222"
        assert extract('identities.#(type=="phone_number")#.value', document) == ["+111", "+222"]

    def test_nested_path_inside_a_query(self) -> None:
        document = {"items": [{"a": {"b": "y"}, "id": 1}, {"a": {"b": "x"}, "id": 2}]}
        assert extract('items.#(a.b=="x").id', document) == 2

    def test_existence_query(self) -> None:
        document = {"phones": [{"type": "fax"}, {"type": "mobile", "value": "+3"}]}
        assert extract("phones.#(value).type", document) == "mobile"

    def test_values_keep_their_json_types(self) -> None:
        document = {"c": {"phone": "+4930123456", "id": 12345678901234567891, "vip": False,
                          "score": 1.5, "note": None}}  # fmt: skip
        assert extract("c.phone", document) == "+4930123456"
        assert extract("c.id", document) == 12345678901234567891
        assert extract("c.vip", document) is False
        assert extract("c.score", document) == 1.5

    def test_nothing_matches_gives_none(self) -> None:
        assert extract("contacts.#.id", {"other": 1}) is None
        assert extract('contacts.#(id=="9").name', {"contacts": []}) is None
        assert extract("contacts.0", {"contacts": []}) is None

    def test_json_null_is_none(self) -> None:
        assert extract("a", {"a": None}) is None


class TestQueryComparisons:
    DOC = {"v": [{"n": 5, "s": "5", "b": True, "z": None}, {"n": 10, "s": "10", "b": False}]}

    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            ("v.#(n==5)#|#", 1),
            ('v.#(n=="5")#|#', 0),  # a string never equals a number
            ('v.#(s=="5")#|#', 1),
            ("v.#(n>=5)#|#", 2),
            ("v.#(n<10)#|#", 1),
            ("v.#(n!=5)#|#", 1),
            ('v.#(s<"2")#|#', 1),  # strings compare as text: "10" < "2"
            ("v.#(b==true)#|#", 1),
            ("v.#(z==null)#|#", 1),
            ('v.#(s!="5")#|#', 1),
            ("v.#(n==-1.5)#|#", 0),
        ],
    )
    def test_comparison(self, path: str, expected: int) -> None:
        assert extract(path, self.DOC) == expected

    def test_escaped_quote_in_query_value(self) -> None:
        document = {"a": [{"k": 'va"lue', "v": 1}, {"k": "x\\y", "v": 2}]}
        assert extract('a.#(k=="va\\"lue").v', document) == 1
        assert extract('a.#(k=="x\\\\y").v', document) == 2


class TestSyntaxErrors:
    @pytest.mark.parametrize(
        ("path", "message", "offset"),
        [
            ("", "empty path", 0),
            ("a..b", "empty key in path", 2),
            ("a.", "the path ends with '.'", 1),
            ("a|", "the path ends with '|'", 1),
            ("a.#(b", "unclosed query: ')' is missing", 3),
            (
                "a.#(x==)",
                'the value in a query must be a "quoted string", a number, true, false or null',
                7,
            ),
            (
                "a.#(b==Murphy)",
                'the value in a query must be a "quoted string", a number, true, false or null',
                7,
            ),
            ('a.#(b=="x)', "unclosed query: ')' is missing", 3),
            ("a.#()", "empty query", 4),
            ("a.#x", "expected '.' or '|' before 'x'", 3),
            ("@pretty", "unknown modifier '@pretty'", 0),
            ("a.@reverse:1", "modifier arguments are not supported", 10),
            ("{a,b}", "multipaths ({...} or [...]) are not supported", 0),
            ("!true", "literals (!true, ...) are not supported", 0),
            ("a\\", "the path ends with a lone backslash", 1),
            ('x.#(a..b=="1")', "empty key in path", 6),
        ],
    )
    def test_error_message_and_offset(self, path: str, message: str, offset: int) -> None:
        with pytest.raises(PathSyntaxError) as caught:
            check_path(path)
        assert (caught.value.message, caught.value.offset) == (message, offset)

    def test_extract_raises_for_a_bad_path(self) -> None:
        with pytest.raises(PathSyntaxError):
            extract("a..b", {})

    def test_offsets_are_relative_to_the_whole_field(self) -> None:
        with pytest.raises(PathSyntaxError) as caught:
            check_path('data.#(phone=="1")#.street, data.#(mobile==)#.street')
        assert caught.value.offset == len('data.#(phone=="1")#.street, data.#(mobile==')

    @pytest.mark.parametrize(
        "path",
        ["users.#.id", 'data.#(key=="value").field', 'identities.#(type=="phone_number")#|1.value',
         "links.next", "a\\.b.c\\|d", "$.data.access_token", "$.tokens[0].value"],
    )  # fmt: skip
    def test_valid_paths_pass(self, path: str) -> None:
        check_path(path)
