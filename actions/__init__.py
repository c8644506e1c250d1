"""calmdesk's custom actions for Rasa 3.6, served by the rasa-sdk action server.

One module per feature: order forms and their validation (``forms_base``, ``forms``), the order
tasks after a form (``orders``), order changes (``order_changes``), returns and refunds
(``returns``), complaints (``complaints``), product questions (``products``) and the
conversation mechanics — yes/no, fallback, handoff (``conversation``). ``context`` holds what
they share: the customer's identity and mood, empathetic replies and error handling; ``store``
opens the order store lazily, once per process.

Run it with ``calmdesk serve actions`` (or ``python -m rasa_sdk --actions actions``).
"""
