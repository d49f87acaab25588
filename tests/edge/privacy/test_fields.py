"""The fields detector: names in data fields and SQL rows, users in home paths, hosts."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.settings import PrivacySettings


def _found(text: str) -> set[tuple[str, str]]:
    return {(s.entity_type, text[s.start : s.end]) for s in create_detector("fields").detect(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"first_name": "Maren", "last_name": "Okafor"}', {"Maren", "Okafor"}),
        ("name:{“first_name”:“Ilse”,middle_name:“K”,last_name:“Brandt”}", {"Ilse", "K", "Brandt"}),
        ("author='Tomás Ruiz'", {"Tomás Ruiz"}),
        ('{"name": "Priya Raman", "age": 41}', {"Priya Raman"}),
    ],
)
def test_names_under_name_keys(text: str, expected: set[str]) -> None:
    assert {v for t, v in _found(text) if t == "PERSON"} == expected


def test_sql_rows_by_the_columns_of_create_table() -> None:
    text = (
        "CREATE TABLE staff (id INT PRIMARY KEY, first_name VARCHAR(50), last_name "
        "VARCHAR(50), salary DECIMAL(10, 2), city TEXT); INSERT INTO staff VALUES "
        "(1, 'Oskar', 'Lindqvist', 50000.00, 'Lyon'), (2, 'Ada', 'O''Brien', 1.5, 'Graz');"
    )
    assert {v for _, v in _found(text)} == {"Oskar", "Lindqvist", "Ada", "O''Brien"}


def test_sql_rows_by_an_explicit_column_list() -> None:
    text = "INSERT INTO t (id, customer_name, city) VALUES (7, 'Li Wei', 'Paris');"
    assert _found(text) == {("PERSON", "Li Wei")}


@pytest.mark.parametrize(
    ("text", "user"),
    [
        (r"PS C:\Users\lidor\app> npm start", "lidor"),
        ('File "/home/rickard/bot/main.py", line 3', "rickard"),
        ("open /Users/kmoreau/Documents/x.txt", "kmoreau"),
    ],
)
def test_the_user_folder_of_a_home_path(text: str, user: str) -> None:
    assert _found(text) == {("USERNAME", user)}


def test_hosts_of_connection_strings_but_not_loopback() -> None:
    assert _found('Failed to connect to pgsql at "ariel" (port 5432)') == {("HOSTNAME", "ariel")}
    assert _found("psql host=db-finance-02 port=5432") == {("HOSTNAME", "db-finance-02")}
    assert _found("psql host=localhost port=5432") == set()


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "my-app", "version": "1.0.0"}',  # a package, not a person
        'var img = new Image() { Name = "LockImage" };',  # an identifier
        'print("USERNAME: ") print(f"{user}")',  # a label, not a value
        r"C:\Users\Public\Documents",
        'username = "your_name"',
        "The name of the game is chess.",
    ],
)
def test_public_or_placeholder_values_are_not_found(text: str) -> None:
    assert _found(text) == set()


def test_it_runs_by_default() -> None:
    assert "fields" in PrivacySettings().detectors
