"""Importers of external data sets into support events."""
