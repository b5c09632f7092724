#include <iostream>

#include "app/cli.h"

int main(int argc, char** argv) { return clear_sweep::cli_main(argc, argv, std::cout, std::cerr); }
