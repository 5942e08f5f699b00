// GNU readline and its history, for the REPL's line editor.
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
