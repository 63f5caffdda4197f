import { createBrowserRouter } from 'react-router';
import { adminRoutes } from './admin/routes.tsx';
import { SignInPage, SignUpPage } from './auth/AuthPages.tsx';
import { instructorRoutes } from './instructor/routes.tsx';
import { learnerRoutes } from './learner/routes.tsx';
import { paymentRoutes } from './payments/routes.tsx';
import { Layout } from './ui/Layout.tsx';
import { NotFound, RouteError } from './ui/RouteError.tsx';

export const router = createBrowserRouter([
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { path: 'signin', element: <SignInPage /> },
      { path: 'signup', element: <SignUpPage /> },
      ...learnerRoutes,
      ...instructorRoutes,
      ...adminRoutes,
      ...paymentRoutes,
      { path: '*', element: <NotFound /> },
    ],
  },
]);
