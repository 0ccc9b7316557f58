from protoscan.cli import main

main()
