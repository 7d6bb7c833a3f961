"""Documents the office sends (.docx): training notices and the quarterly absence notice."""
