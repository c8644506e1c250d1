"""Scripts that run inside the Rasa environment (.venv-rasa, Python 3.10) as subprocesses.

They are executed by path, never imported by calmdesk's own code.
"""
