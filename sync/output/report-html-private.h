/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync/output/report-html-private.h: the parts of the report page kept in
 * their own files (sync/output/report-html-changes.c); not a public API. */
#pragma once

#include <glib.h>
#include <jansson.h>

/* Append s escaped for HTML text and attribute values. */
void ds_report_html_esc(GString *o, const char *s);

/* The CSS of the category colours (matrix cells, details). */
void ds_report_html_category_css(GString *o);
/* "c-packages": the class of a category's colour. */
void ds_report_html_category_class(GString *o, const char *category);

/* A host's differences (its report object h), one <details> per category
 * of cats that it has, each change with its lab and prod values. */
void ds_report_html_changes(GString *o, json_t *h, json_t *cats);
