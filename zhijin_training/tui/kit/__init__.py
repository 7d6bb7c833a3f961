"""The interface kit: service calls, dialogs, the table, the key map and every private Textual use."""
