"""The backend degrades when ClickHouse is absent or faulty; needs no ClickHouse engine: marker `degradation`."""
