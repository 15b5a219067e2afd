from nomagic.cli import main

main()
