from automata_rnn.cli.main import main

raise SystemExit(main())
