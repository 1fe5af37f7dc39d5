"""Planning a release before any data is touched: the questions it must answer, how precise each
answer will be under a config's budget, and a division of the budget that serves them best."""
