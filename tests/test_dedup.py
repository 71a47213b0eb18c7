from assistant import dedup

WIRE = (
    "KYIV, Ukraine (AP) — Officials said on Tuesday that the port of Odesa was struck overnight by "
    "a wave of drones, damaging grain silos and a warehouse near the harbour. The regional governor "
    "said two workers were injured and that air defences shot down most of the drones. Russia's "
    "defence ministry said it had targeted military infrastructure and denied hitting civilian "
    "facilities. Grain exporters said shipments would resume within days if the damage is limited."
)


def test_a_wire_copy_with_a_new_dateline_is_a_near_duplicate():
    copy = WIRE.replace("KYIV, Ukraine (AP) —", "ODESA —") + " Copyright 2023 The Daily Example."
    a, b = dedup.fingerprint(WIRE), dedup.fingerprint(copy)
    assert dedup.similarity(a.signature, b.signature) >= 0.7
    assert set(a.bands) & set(b.bands), "a near copy must share an LSH band to be found"


def test_different_stories_are_not_duplicates():
    other = (
        "The city council voted on Monday to expand the tram network to the northern suburbs, "
        "after a two-year consultation. The mayor said construction would start next spring and "
        "cost about 300 million euros, while opposition members warned of delays."
    )
    a, b = dedup.fingerprint(WIRE), dedup.fingerprint(other)
    assert dedup.similarity(a.signature, b.signature) < 0.2
    assert dedup.best_match(a, [("x", b.signature)], 0.7) is None


def test_fingerprints_are_deterministic():
    assert dedup.fingerprint(WIRE) == dedup.fingerprint(WIRE)
    assert dedup.content_hash("T", "Some  text.") == dedup.content_hash("t", "some text")
