"""The two Tomorro objects the destination writes, and the facts about them that every module shares."""

from __future__ import annotations

COUNTERPARTY = "counterparty"
CONTRACT = "contract"
OBJECTS = (COUNTERPARTY, CONTRACT)
# `GET /smart-fields?object=`: counterparty fields are "external_party" fields in the API
SMART_FIELD_OBJECT = {CONTRACT: "contract", COUNTERPARTY: "external_party"}
CONTRACT_STATUSES = {"draft", "negotiating", "signing", "signed", "canceled"}
COUNTERPARTY_STATUSES = {"active", "archived"}
FINAL_STATUSES = {"signed", "canceled"}  # a contract in one of them never changes status again
