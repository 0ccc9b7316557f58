"""The annotated corpus: schema, loading, validation, statistics, splits and exchange formats."""
