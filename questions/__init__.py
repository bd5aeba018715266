"""Questions in plain language: the semantic query engine, the Cortex Analyst
client and the SQL guard."""
