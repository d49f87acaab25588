"""General detection rules for what the leak corpus still leaked: dates of birth after a cue in
several languages, bare logins after "User", names after a role or relation word in any script,
and names that the same text gives away (a detected name's lowercase mentions, a handle's parts).
Each table has its negatives: the rule must not fire on ordinary text."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.detectors.name_evidence import handle_parts
from privsplit.edge.privacy.engine import PrivacyEngine
from privsplit.edge.privacy.vault import Vault


def _found(detector: str, text: str, kind: str) -> list[str]:
    return [
        text[s.start : s.end]
        for s in create_detector(detector).detect(text)
        if s.entity_type == kind
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Patient : Michel Carpentier, né le 11.03.1946. Traitement", "11.03.1946"),
        ("Elle est née le 3 février 1971 à Lyon.", "3 février 1971"),
        ("Paciente: Esteban Zapata, fecha de nacimiento 01/12/1957.", "01/12/1957"),
        ("nacido el 1 de marzo de 1957 en Sevilla", "1 de marzo de 1957"),
        ("Patient: Eileen Jopich, geb. 26.05.1960. Fallnummer", "26.05.1960"),
        ("geboren am 3. März 1960 in Köln", "3. März 1960"),
        ("Geburtsdatum: 07/08/1966", "07/08/1966"),
        ("nata il 12/04/1980 a Roma", "12/04/1980"),
        ("DOB 04/05/1988", "04/05/1988"),
    ],
)
def test_a_date_after_a_birth_cue_in_any_language_is_a_date_of_birth(text: str, value: str) -> None:
    assert value in _found("patterns", text, "DATE_OF_BIRTH")


@pytest.mark.parametrize(
    "text",
    [
        "the meeting is on 11.03.2024 at noon",
        "Le rendez-vous est le 11.03.2024.",
        "Die Rechnung vom 26.05.2020 ist bezahlt.",
        "version 1.2.3 was released 2024-01-02",
    ],
)
def test_a_date_without_a_birth_cue_is_not_a_date_of_birth(text: str) -> None:
    assert _found("patterns", text, "DATE_OF_BIRTH") == []


@pytest.mark.parametrize(
    ("text", "login"),
    [
        ("User jose.lowe reports the PS5 keeps disconnecting.", "jose.lowe"),
        ("User the_real_paul reports the laptop keeps crashing", "the_real_paul"),
        ("user kim88 says it works", "kim88"),
        ("User tiffany.s reports an error", "tiffany.s"),
    ],
)
def test_a_made_up_login_after_a_bare_user_cue_is_a_username(text: str, login: str) -> None:
    assert login in _found("handles", text, "USERNAME")


@pytest.mark.parametrize(
    "text",
    [
        "user settings.json is broken",
        "the user interface is slow",
        "each user_id column is indexed",
        "User experience matters",
        "user config.yaml was not found",
    ],
)
def test_a_word_or_file_name_after_user_is_not_a_username(text: str) -> None:
    assert _found("handles", text, "USERNAME") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Counsel for עטרה חלפון, Mrs. Χρήστου, submitted observations.", "עטרה חלפון"),
        ("The court notes the expert report of Dr פוגל.", "Dr פוגל"),
        ("Ms עמר, the applicant's sister, gave evidence.", "Ms עמר"),
        ("Firmado: María Bueno, Letrada de la Administración", "María Bueno"),
        ("Control con la Dra. Pareja en 3 semanas.", "Dra. Pareja"),
        ("Assigned to שירה (tier 2).", "שירה"),
        ("The customer says her husband نور الدّين الخطيب set up the account.", "نور الدّين الخطيب"),
        ("Judge Okafor dismissed the appeal.", "Okafor"),
        ("Hello شعيب, can we talk?", "شعيب"),
    ],
)
def test_a_name_after_a_role_or_relation_word_is_a_person(text: str, name: str) -> None:
    assert name in _found("names", text, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        "The judge dismissed the appeal.",
        "The patient was stable overnight.",
        "Hi team, escalating this ticket.",
        "my friend said it works",
        "Counsel: the court adjourned.",
        "The applicant was represented by counsel.",
    ],
)
def test_a_role_word_without_a_name_after_it_finds_no_person(text: str) -> None:
    assert _found("names", text, "PERSON") == []


@pytest.mark.parametrize(
    ("handle", "parts"),
    [
        ("@maria.gonzalez88", ["maria", "gonzalez"]),
        ("@BruceDuncan", ["Bruce", "Duncan"]),
        ("@the_real_alicia", ["alicia"]),
        ("@tammy_morales", ["tammy", "morales"]),
        ("@support_team", []),
        ("@will_may", []),  # everyday words are not taken as names
        ("@john_1859", ["john"]),
        ("@crypto_gaming_bot", []),
        ("@x_99", []),
    ],
)
def test_a_handle_splits_into_name_parts(handle: str, parts: list[str]) -> None:
    assert handle_parts(handle) == parts


@pytest.fixture(scope="module")
def engine() -> PrivacyEngine:
    return PrivacyEngine(
        detectors=[create_detector(n) for n in ("patterns", "handles", "names", "spacy")]
    )


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("follow @tammy_morales for more | honestly tammy was right", "tammy"),
        ("haha @amanda.w du hattest recht | amanda und ich gehen hin", "amanda"),
        ("Replying to @clayton_oliver and @nbennett #weekend #clayton", "clayton"),
        ("the guy who posted it is @the_real_alicia, we met alicia at the bar", "alicia"),
        ("anyone know Cheryl Perez? she runs the page now | honestly cheryl was right", "cheryl"),
        ("Hello @maria.gonzalez88! MARIA GONZALEZ wrote the post.", "MARIA GONZALEZ"),
        ("cc @john_1859 since you asked | john said it was fine", "john"),
    ],
)
def test_a_name_the_text_gives_away_is_hidden_in_every_case(
    engine: PrivacyEngine, text: str, hidden: str
) -> None:
    out = engine.redact(text, Vault()).text
    for word in hidden.split():
        assert word.casefold() not in out.casefold(), out


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("ping @support_team: the support page is down", "support"),
        ("Will Smith called; I will call back tomorrow", "will call"),
        ("@real_estate_bot posted real numbers", "real numbers"),
        (
            "The Davis, Reynolds and Williamson Orchestra was founded in 1977 as a volunteer "
            "community orchestra.",
            "community orchestra",
        ),
    ],
)
def test_everyday_words_stay_when_a_name_or_handle_contains_them(
    engine: PrivacyEngine, text: str, kept: str
) -> None:
    assert kept in engine.redact(text, Vault()).text


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[3pm] James: are you around?\n[10 am] James: ok, sending it now", ["James", "James"]),
        ("[14:00] هايل: are you around? [17:45] هايل: ok", ["هايل", "هايل"]),
        ("me and иван are going saturday", ["иван"]),
        ("if you see מוחמד tell her I said hi", ["מוחמד"]),
        ("honestly صنديد was right, it took an hour", ["صنديد"]),
    ],
)
def test_speakers_of_a_chat_and_words_in_another_script_are_people(
    text: str, names: list[str]
) -> None:
    assert set(_found("names", text, "PERSON")) == set(names)


@pytest.mark.parametrize(
    "text",
    [
        "[10:00] ERROR: disk full\n[10:01] Server: restarted",  # log levels and roles
        "[3pm] James: are you around?",  # one line is not a transcript
        "a β-blocker and 5 µg of α-tocopherol",  # single Greek letters are symbols
        "Привет, как дела? Это длинный русский текст про погоду.",  # a text in that script
    ],
)
def test_log_lines_symbols_and_whole_texts_in_a_script_are_not_names(text: str) -> None:
    assert _found("names", text, "PERSON") == []


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("His national insurance number is QQ 12 34 56 C.", "QQ 12 34 56 C", "NATIONAL_ID"),
        ("NI number: AB123456C", "AB123456C", "NATIONAL_ID"),
        ("Her record shows JG103759A as the number.", "JG103759A", "NATIONAL_ID"),
        ("The car, registration AB12 CDE, was parked outside.", "AB12 CDE", "VEHICLE_PLATE"),
        ("Vehicle reg: LR69 XKT", "LR69 XKT", "VEHICLE_PLATE"),
        ("Kennzeichen: B-MW 1234", "B-MW 1234", "VEHICLE_PLATE"),
        ("immatriculée AB-123-CD", "AB-123-CD", "VEHICLE_PLATE"),
        ("matrícula 1234 BCD", "1234 BCD", "VEHICLE_PLATE"),
        ("a van, YK21 ABC, was seen", "YK21 ABC", "VEHICLE_PLATE"),
    ],
)
def test_national_insurance_numbers_and_number_plates(text: str, value: str, kind: str) -> None:
    assert value in _found("patterns", text, kind)


@pytest.mark.parametrize(
    "text",
    [
        "the registration form is online",
        "Registration 2024 opens Monday",
        "plate 3 of the figure shows the cells",
        "reg no. 12345/06",
        "the PS5 and the RTX 4090",
        "GB123456A is not a valid NI prefix",  # HMRC never issues GB
    ],
)
def test_plate_and_nino_rules_leave_ordinary_text(text: str) -> None:
    found = create_detector("patterns").detect(text)
    assert [s for s in found if s.entity_type in ("VEHICLE_PLATE", "NATIONAL_ID")] == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Counsel: harriet blake", "harriet blake"),
        ("Witness: Tomasz Wiśniewski", "Tomasz Wiśniewski"),
        ("Judge: Amelia Strand presided.", "Amelia Strand"),
    ],
)
def test_a_name_after_a_role_label_in_any_case(text: str, name: str) -> None:
    assert name in _found("names", text, "PERSON")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("me and scott are going to the match", "scott"),
        ("ok so eric and i finally tried it", "eric"),
        ("heribert und ich gehen am Samstag hin", "heribert"),
        ("alexandre et moi on y va", "alexandre"),
        ("ascensión y yo vamos el sábado", "ascensión"),
        ("Yesterday Priya and I fixed the build.", "Priya"),
    ],
)
def test_a_word_joined_to_the_writer_by_and_is_a_person(text: str, name: str) -> None:
    assert set(_found("names", text, "PERSON")) == {name}


@pytest.mark.parametrize(
    "text",
    [
        "my wife and I went to the coast",
        "between you and me, it failed",
        "the dog and me went for a walk",
        "Mom and I baked bread",
        "time and I are not friends",
        "meine Frau und ich",
    ],
)
def test_pronouns_relatives_and_introduced_nouns_joined_to_the_writer_are_not_names(
    text: str,
) -> None:
    assert _found("names", text, "PERSON") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Un saludo,\nDan Valentín\nMi número de cliente es A00206678.", "Dan Valentín"),
        ("Hola Julia: Mi DNI es 09614345T.", "Julia"),
        ("Hallo Franz-Peter,\n\nMeine neue Anschrift ist", "Franz-Peter"),
        ("Mit freundlichen Grüßen\nAnna Schmidt", "Anna Schmidt"),
        ("Bonjour Mathilde, merci pour votre message.", "Mathilde"),
    ],
)
def test_a_name_after_a_greeting_or_closing_in_several_languages(text: str, name: str) -> None:
    assert name in _found("names", text, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        "Cordialement,\nLe service client",
        "Un saludo,\nEl equipo de soporte",
        "Mit freundlichen Grüßen\nDie Verwaltung",
        "Hola a todos, ¿qué tal?",
        "Hallo zusammen, kurze Frage",
        "Kind regards,\nThe Support Team",
    ],
)
def test_a_greeting_or_closing_without_a_name_finds_no_person(text: str) -> None:
    assert _found("names", text, "PERSON") == []
