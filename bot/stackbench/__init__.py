"""``make bench``: the whole calmdesk stack against stock Rasa 3.6, same script, same run."""
