"""Inline data shared by the voice tests (a module name no other test folder uses)."""

# Alice's ticket T1 (cust-A) has no CSAT: its sentiment comes from the text alone.
ALICE_VERBATIM = "Colis toujours pas reçu, c'est la deuxième fois ! Je suis très déçue."
