// SPDX-License-Identifier: GPL-2.0
/* selfconn(8): main() alone, so that the unit tests can link the rest. */
#include "selfconn.h"

int main(int argc, char **argv)
{
	return sc_main(argc, argv);
}
