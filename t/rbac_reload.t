# vi:filetype=perl

# The RBAC module across reloads, for "prove -r t": runs t/rbac_reload.sh,
# which prints TAP.  A script because one of its checks reloads with the
# modules loaded in another order, which TEST_NGINX_LOAD_MODULES cannot
# change between the blocks of a Test::Nginx file; see the script for
# what it checks and the environment it reads.

use strict;
use warnings;

use FindBin ();

exec 'bash', "$FindBin::Bin/rbac_reload.sh"
    or die "cannot run bash: $!\n";
