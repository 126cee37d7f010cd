from automata_rnn.cli.main import cli

raise SystemExit(cli())
