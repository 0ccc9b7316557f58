from protoscan.launch import main

main()
