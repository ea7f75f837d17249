/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SELFCONN_PROC_H
#define _SELFCONN_PROC_H

int selfconn_proc_init(void);
void selfconn_proc_exit(void);

#endif /* _SELFCONN_PROC_H */
