import sys

from spoke.main import main

sys.exit(main())
