/* test-args.c — the command line's pure parts: where the command word is, what a seek offset
 * means in milliseconds, and which daemon member each control command calls. */
#include <glib.h>
#include <locale.h>
#include <string.h>

#include "args.h"

static void test_seek_offsets(void)
{
    static const struct {
        const char *text;
        gint64 ms;
    } good[] = {
        {"+10", 10000}, {"-5", -5000},       {"30", 30000},
        {"1.5", 1500},  {"-0.25", -250},     {".5", 500},
        {"+0", 0},      {"86400", 86400000}, {"-86400", -86400000},
        {"007", 7000},  {"0.0004", 0},       {"-0.0006", -1}, /* to the nearest ms */
    };
    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) error = NULL;
        gint64 ms = G_MININT64;
        g_assert_true(spn_args_parse_seek(good[i].text, &ms, &error));
        g_assert_no_error(error);
        g_assert_cmpint(ms, ==, good[i].ms);
    }
}

static void test_seek_refuses(void)
{
    static const char *const bad[] = {
        "", "+", "-", "abc", "1e3", "inf", "nan", "0x10", "10s", "1,5", " 10", "86400.5", "-90000",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        gint64 ms = 42;
        g_assert_false(spn_args_parse_seek(bad[i], &ms, &error));
        g_assert_error(error, SPN_ARGS_ERROR, SPN_ARGS_ERROR_SEEK);
        g_assert_cmpint(ms, ==, 42);
    }
    g_autoptr(GError) error = NULL;
    gint64 ms = 0;
    g_assert_false(spn_args_parse_seek(NULL, &ms, &error));
    g_assert_error(error, SPN_ARGS_ERROR, SPN_ARGS_ERROR_SEEK);
    g_assert_nonnull(strstr(error->message, "+30"));

    g_autoptr(GError) word_error = NULL;
    g_assert_false(spn_args_parse_seek("abc", &ms, &word_error));
    g_assert_cmpstr(word_error->message, ==,
                    "“abc” is not a number of seconds; seek needs an offset such as +30 or -10");
}

static void test_suggest(void)
{
    static const char *const verbs[] = {"now",   "fresh",  "status", "login",    "logout", "play",
                                        "pause", "toggle", "next",   "previous", "seek",   NULL};
    g_assert_cmpstr(spn_args_suggest("stauts", verbs), ==, "status");
    g_assert_cmpstr(spn_args_suggest("stats", verbs), ==, "status");
    g_assert_cmpstr(spn_args_suggest("Pause", verbs), ==, "pause");
    g_assert_cmpstr(spn_args_suggest("prev", verbs), ==, NULL);
    g_assert_cmpstr(spn_args_suggest("previos", verbs), ==, "previous");
    g_assert_null(spn_args_suggest("xyzzy", verbs));
}

static GPtrArray *make_args(const char *const *words)
{
    GPtrArray *args = g_ptr_array_new_null_terminated(8, g_free, TRUE);
    g_ptr_array_add(args, g_strdup("spotnow"));
    for (; *words != NULL; words++) {
        g_ptr_array_add(args, g_strdup(*words));
    }
    return args;
}

static char *join_args(GPtrArray *args)
{
    return g_strjoinv(" ", (char **)args->pdata);
}

typedef struct {
    const char *argv[6];
    const char *verb;     /* NULL: the implicit "now" */
    const char *argument; /* the seek offset taken out */
    const char *left;     /* what GOption then sees */
} SplitCase;

static void test_split(void)
{
    static const SplitCase cases[] = {
        {{"seek", "-5", NULL}, "seek", "-5", "spotnow seek"},
        {{"seek", "+10", NULL}, "seek", "+10", "spotnow seek"},
        {{"seek", "30", NULL}, "seek", "30", "spotnow seek"},
        {{"--system", "seek", "-1.5", "--wait", NULL},
         "seek",
         "-1.5",
         "spotnow --system seek --wait"},
        {{"seek", "--wait", "-10", NULL}, "seek", "-10", "spotnow seek --wait"},
        {{"seek", "10", "20", NULL}, "seek", "10", "spotnow seek 20"},
        {{"seek", "-x", NULL}, "seek", NULL, "spotnow seek -x"},
        /* A word is the offset (then "not a number"), and "--" ends the options. */
        {{"seek", "abc", NULL}, "seek", "abc", "spotnow seek"},
        {{"seek", "--", "-10", NULL}, "seek", "-10", "spotnow seek"},
        {{"seek", "--wait", "--", "-x", NULL}, "seek", "-x", "spotnow seek --wait"},
        {{"--format", "{{ title }}", "now", NULL}, "now", NULL, "spotnow --format {{ title }} now"},
        {{"-f", "now", NULL}, NULL, NULL, "spotnow -f now"},
        {{"--json", "--follow", NULL}, NULL, NULL, "spotnow --json --follow"},
        {{"now", "-5", NULL}, "now", NULL, "spotnow now -5"},
        {{"--", "seek", NULL}, NULL, NULL, "spotnow -- seek"},
        {{"login", "--paste", NULL}, "login", NULL, "spotnow login --paste"},
        {{NULL}, NULL, NULL, "spotnow"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) args = make_args(cases[i].argv);
        g_autofree char *argument = NULL;
        const char *verb = spn_args_split(args, &argument);
        g_autofree char *left = join_args(args);
        g_test_message("case %" G_GSIZE_FORMAT ": %s", i, left);
        g_assert_cmpstr(verb, ==, cases[i].verb);
        g_assert_cmpstr(argument, ==, cases[i].argument);
        g_assert_cmpstr(left, ==, cases[i].left);
    }
}

static void test_control_methods(void)
{
    g_assert_cmpstr(spn_args_control_method("play", FALSE), ==, "Play");
    g_assert_cmpstr(spn_args_control_method("play", TRUE), ==, "Play");
    g_assert_cmpstr(spn_args_control_method("pause", FALSE), ==, "Pause");
    g_assert_cmpstr(spn_args_control_method("next", TRUE), ==, "Next");
    g_assert_cmpstr(spn_args_control_method("previous", TRUE), ==, "Previous");
    g_assert_cmpstr(spn_args_control_method("seek", TRUE), ==, "Seek");
    /* toggle: Pause while something plays, else Play. */
    g_assert_cmpstr(spn_args_control_method("toggle", TRUE), ==, "Pause");
    g_assert_cmpstr(spn_args_control_method("toggle", FALSE), ==, "Play");
    g_assert_null(spn_args_control_method("stop", TRUE));
    g_assert_null(spn_args_control_method("now", TRUE));
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/args/seek-offsets", test_seek_offsets);
    g_test_add_func("/args/seek-refuses", test_seek_refuses);
    g_test_add_func("/args/split", test_split);
    g_test_add_func("/args/suggest", test_suggest);
    g_test_add_func("/args/control-methods", test_control_methods);
    return g_test_run();
}
