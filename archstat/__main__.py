from archstat.cli import main

main()
