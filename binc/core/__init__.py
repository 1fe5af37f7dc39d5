"""What every layer shares and that imports nothing else of ours: errors, packaged resources,
public reference data and dimensions, the answered-table contract, the registration format, the
national-number rule, the pseudonym key and the noise distribution."""
