"""`hyperpeft-report`: a multirun or sweep folder as a markdown table and a score/parameters plot."""
